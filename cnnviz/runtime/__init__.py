"""Where runs live and how they run: the typed run store, the job launcher, settings, the machine."""
