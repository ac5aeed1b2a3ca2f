"""Reports: the QC coverage report and the trends, read across the domains."""
