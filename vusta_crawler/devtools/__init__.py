"""Development tools: the offline mirror server, the mirror-site generator and the replay of
saved pages (fixtures). The crawl never imports these."""
