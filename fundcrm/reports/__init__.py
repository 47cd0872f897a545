"""The annual portfolio report (DOMAIN.md section 8): gathered as plain data
(fundcrm.reports.annual), laid out as PDF and as a workbook, run from the command line or as a
background job from /reports, and kept once its period is closed."""
