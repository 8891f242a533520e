"""Published multiple-recapture data sets whose analyses have known, published answers.

Each table is copied from its source, with the source named. Where a figure was checked against
Rcapture (Baillargeon & Rivest 2007, "Rcapture: loglinear models for capture-recapture in R",
Journal of Statistical Software 19(5)), the reference is the package's own record of it: its test
file inst/tests/testPapersResults.R ("Rcapture reproduces <paper> results", version 1.4) or its
saved example output tests/Examples/Rcapture-Ex.Rout.save. Rcapture lists capture histories in the
order of `histpos.t(k)`: the binary numbers from 11...1 down to 00...1, first list first.
"""

from __future__ import annotations

from amparo.analysis.mse import OverlapTable


def rcapture_table(lists: list[str], frequencies: list[int]) -> OverlapTable:
    """An overlap table from frequencies given in Rcapture's histpos.t order."""
    k = len(lists)
    patterns = [
        tuple((value >> (k - 1 - j)) & 1 for j in range(k)) for value in range(2**k - 1, 0, -1)
    ]
    return OverlapTable.from_patterns(lists, dict(zip(patterns, frequencies, strict=True)))


# Seber (1982), The Estimation of Animal Abundance, 2nd ed., p. 107: two samples, 167 marked in
# both, 781 only in the first, 254 only in the second. Also Rcapture's closedp and closedp.bc
# examples (Rcapture-Ex.Rout.save).
SEBER_1982 = OverlapTable.from_patterns(
    ["first", "second"], {(1, 1): 167, (1, 0): 781, (0, 1): 254}
)

# Abeni, Brancato & Perucci (1994), "Capture-recapture to estimate the size of the population with
# human immunodeficiency virus type 1 infection", Epidemiology 5:410-414: HIV cases reported by
# four centres in Rome; shipped as Rcapture's data set `HIV` (data/HIV.rda, 1896 cases).
HIV_ROME = rcapture_table(
    ["c1", "c2", "c3", "c4"], [0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205]
)

# Darroch, Fienberg, Glonek & Junker (1993), "A three-sample multiple-recapture approach to census
# population estimation with heterogeneous catchability", JASA 88:1137-1148, the R3 data, as
# analysed by Rivest (2011), "A lower bound model for multiple record systems estimation with
# heterogeneous catchability", Int. J. Biostatistics 7(1), art. 23.
DARROCH_R3 = rcapture_table(["c1", "c2", "c3"], [72, 155, 7, 71, 13, 53, 43])

# Bruno, LaPorte, Merletti, Biggeri, McCarty & Pagano (1994), "National diabetes programmes.
# Application of capture-recapture to 'count' diabetes?", Diabetes Care 17:548-556: diabetes in
# Casale Monferrato from four sources, as analysed by Rivest (2011).
BRUNO_DIABETES = rcapture_table(
    ["c1", "c2", "c3", "c4"], [58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10]
)

# Cormack, Chang & Smith (2000), "Estimating deaths from industrial injury by capture-recapture:
# a cautionary tale", Int. J. Epidemiology 29:1053-1059, Table 3a (four lists: death registrations,
# NTOF, WCC, MOSH) and Table 3b (three lists).
CORMACK_4 = rcapture_table(
    ["deaths", "ntof", "wcc", "mosh"], [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2]
)
CORMACK_3 = rcapture_table(["deaths", "ntof", "wcc"], [72, 5, 29, 54, 24, 3, 14])

# Ball, Betts, Scheuren, Dudukovich & Asher (2002), "Killings and Refugee Flow in Kosovo,
# March-June 1999", AAAS report to the ICTY: 4,400 documented killings on four lists, shipped as
# `kosovo_aggregate` in the LCMCR R package (tabulated here from data/kosovo_aggregate.RData).
KOSOVO = OverlapTable.from_patterns(
    ["EXH", "ABA", "OSCE", "HRW"],
    {
        (0, 0, 0, 1): 306,
        (0, 0, 1, 0): 936,
        (0, 0, 1, 1): 123,
        (0, 1, 0, 0): 845,
        (0, 1, 0, 1): 31,
        (0, 1, 1, 0): 217,
        (0, 1, 1, 1): 32,
        (1, 0, 0, 0): 1131,
        (1, 0, 0, 1): 106,
        (1, 0, 1, 0): 228,
        (1, 0, 1, 1): 42,
        (1, 1, 0, 0): 177,
        (1, 1, 0, 1): 18,
        (1, 1, 1, 0): 181,
        (1, 1, 1, 1): 27,
    },
)
