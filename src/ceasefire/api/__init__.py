"""HTTP edge (FastAPI): comes with the HQ issue."""
