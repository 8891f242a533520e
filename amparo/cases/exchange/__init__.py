"""Case records in and out of Amparo: imports (CSV/XLSX, HURIDOCS), exports (CSV, XLSX, JSON,
HURIDOCS), the tabular layout they share, and the pages and URLs of both."""
