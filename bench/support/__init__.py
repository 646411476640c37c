"""What several benches set up the same way (not a bench: ``make bench`` runs only ``bench/*.py``)."""
