"""One importer per kind of DOMAIN.md section 9."""
