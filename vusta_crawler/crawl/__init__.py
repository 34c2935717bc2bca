"""The crawl: the ``vusta`` spider (navigation only), its options, downloader middlewares, the
download handler, and running a crawl from the command line."""
