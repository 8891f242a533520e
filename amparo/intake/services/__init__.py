"""Every write of the intake channel, one module per domain action.

* `submissions`: a reporter sends a report (checked, routed, stored with its files).
* `attachments`: files checked and stripped before storage, stored sealed, read back by staff.
* `follow_up`: a reporter comes back with the receipt, replies and adds files.
* `proofs`: the proof of report (digest and seal) given to the reporter.
* `handling`: staff read, assign, answer, annotate, mark and close submissions.
* `case_opening`: staff open a case (a draft event) from a submission.
* `retention`: closed submissions are purged after the retention period.

Reporter actions check their input, write in one transaction and record no audit entry: an
entry carries a precise time, which this channel does not keep about reporters. Staff actions
check `amparo.intake.access`, write in one transaction and record an audit entry without any
report content. Reads that several pages share are in `amparo.intake.queries`.
"""
