"""The Global Network of national focal points on human rights defenders.

Members are countries represented by tripartite delegations (the State focal point institution,
the NHRI, civil society), admitted by invitation, held to published commitments, reviewed
periodically and, when a State backslides, suspended or ended. The Centre for Applied Human
Rights (University of York, 2019) proposed such a network; no software managed one before.

Where things are
----------------
* `models`: members, delegations, focal points, letters, membership changes, commitments,
  progress, reviews, co-chairs' terms, the steering group, meetings.
* `rules` and `rules/*.csv`: the lifecycle's transitions, the scorecard's signals and flag rules,
  the directory's visibility, what a public page may publish, kinds of commitment, the numbers
  (review cycle, co-chairs' term and seats). Data, validated at load, labelled in four languages.
* `access`: capacities (secretariat, co-chair, steering group, each part of a delegation,
  observer) and what each may do; `actions_on`-style questions for pages, `ensure_*` for services.
* `services/`: every write, one module per domain; `exports` (CSV, audited).
* `scorecard/`: the signal-provider interface (`registry`), providers for case records, intake
  and commitments (`providers`), the optional sibling apps (`feeds`: what each must provide),
  plain readings and flag rules (`readings`), the one computation (`compute`).
* `publication` + `public_views` + `templates/network/public/`: the plain public pages, which
  the portal's publication rules can replace.
* `directory`: focal points as each reader may see them.
* `keys`: who holds the keys of the sealed fields, and how the copies follow the readers.

What is sealed, and why
-----------------------
Contact persons are officials' and delegates' professional contacts, not case records, but a
delegation's civil-society members are defenders themselves, and a backsliding State is exactly
the reader to fear. So their *names, e-mail addresses and phone numbers* are encrypted for every
part of a delegation (one rule for all is simpler to keep than one per part, and costs nothing
for officials); who reads them is `rules/directory.csv`. Also encrypted: *review submissions*,
the *secretariat's summary* and the *steering group's recommendation* (they discuss reprisals and
may name people), *NHRI and civil-society comments* on progress, and *meeting minutes*. In the
clear, because the network must sort, count or publish them: countries, statuses, institution and
organisation names, functions and "contact for", commitments, indicators and the State's progress
reports (meant for publication), dates, review outcomes, transition reasons (formal decisions).
E-mails to delegations carry none of it.

The encrypted fields are sealed with data keys that only their readers hold (issue 16: a seized
server reveals nothing; `keys`, docs/security.md): the organisations whose staff `access` lets
read them, and the steering group's seat holders personally. Staff outside the network's work
hold no network key, so the directory shows them the fields in the clear only.
"""
