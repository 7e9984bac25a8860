"""Search the catalogs for the cheapest build meeting speed targets, and Pareto frontiers."""
