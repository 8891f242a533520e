"""The secure intake channel: anonymous reports of threats, attacks and reprisals, and their inbox.

What a reporter leaves behind, and what they do not
---------------------------------------------------
* Every answer and every file is encrypted with the key ring before it is stored. Files use
  envelope encryption (`amparo.intake.files`): each file has its own random AES-256-GCM key,
  stored in an encrypted field, so `amparo keys rotate` covers files without rewriting them.
  Files live in the database, in the submission's transaction (see `files` for why).
* Images are re-encoded and PDFs rewritten without their metadata, scripts and actions
  (`amparo.intake.sanitise`, `amparo.intake.pdfs`) before they are encrypted; a PDF that cannot
  be cleaned is kept in quarantine, never served; types are recognised by content, never by name.
* The receipt is stored only as an Argon2id hash with a deployment-wide secret salt derived from
  the key ring (`amparo.intake.receipts`), so a receipt can be looked up and nothing else.
* No IP address, user agent, referrer or precise time: a submission records the date only;
  reporter-written rows use random UUID keys and per-submission positions instead of global
  sequences, so their order cannot be set against staff actions; reporter actions write no audit
  entry (an entry carries a precise time). Staff actions are audited as usual.
* No cookie is ever set on the public pages, before or after submitting. Forms carry a signed,
  short-lived, single-use token instead (`amparo.intake.tokens`): Django's CSRF protection needs a
  cookie, so these views are exempt from it and are protected instead by that token, which a
  cross-site page cannot obtain, by refusing requests a browser marks as cross-site
  (`Sec-Fetch-Site`), and by the absence of any ambient authority to abuse: there is no session
  for a forged request to ride on. Follow-up pages are reached with a short-lived, encrypted
  access token in a hidden field, obtained by posting the receipt.
* Abuse control without addresses and without a cap one client could use up for everyone
  (`amparo.intake.services.admission`): a proof of work whose cost rises with the load, solved
  by a small self-hosted script when JavaScript is available, and a budget per minute for forms
  without it; the counters (counts per kind and minute, nothing else) and the single-use form
  nonces are in the database, shared by every server process (`amparo.intake.ratelimit`).
* Uploads (`amparo.intake.uploads`): no file of a form is kept before its token and proof of
  work are checked; files are kept in memory, never in temporary files, within the limits.

Retention: `amparo intake purge` deletes closed submissions after AMPARO_INTAKE_RETENTION_DAYS
days, leaving one audit line each; run it daily from a systemd timer or cron (see the command).
"""
