"""Spreadsheet import and export in the interchange formats of DOMAIN.md section 9."""
