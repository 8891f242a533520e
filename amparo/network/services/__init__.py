"""Every write to the network's records: one function per change, each checking permission and
the record's state through `amparo.network.access`, validating, writing in one transaction and
recording an audit entry. One module per domain: members and delegations, the lifecycle,
commitments, reviews, governance, meetings, and the CSV exports (a read that is audited).

The web pages, the API, the `amparo network` command and the demo world call these functions.
"""
