"""The moerig command line (Typer): a thin layer over costmodel, catalogs and optimizer."""
