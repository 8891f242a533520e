"""The public knowledge portal: what a person chose to publish, and nothing else.

Where things are
----------------
* `models`: a `Publication` (a sanitised snapshot of selected events, with their acts and
  victims, or of a statistics table) and its `PublicItem` index rows, which exist only while the
  publication is live.
* `data/whitelist.yaml` + `whitelist`: the fields each record type may show, validated at load.
* `snapshots`: builds a snapshot from that whitelist (pseudonyms unless a live consent to
  publication, regions coarsened to the first level, dates to the month where flagged, small
  cells suppressed). The public pages read the snapshot, never the live record.
* `access`: who may create, submit, approve (a second person, a reviewer) and withdraw.
* `services`: every transition, audited; consent withdrawal unpublishes what names the person.
* `queries`: what the public may read (live publications only), for pages, feed and downloads.
* `views` (editors) and `public_views` (no login, cached, language from the URL prefix).

Nothing imports this app: it reads cases, stats and network, and nobody reads it.
"""
