"""Evidence from the case records: disaggregated statistics, de-duplication, estimates, reports.

The app keeps a non-identifying facts table (one row per act, `models.Fact`) current from the
case services, and hands it to `amparo.analysis` (cross-tabs, charts, maps, record linkage,
multiple systems estimation), which imports no Django. Laws that restrict civic space, and the
acts of judicial harassment that used them, are recorded here too.
"""
