"""Explainable matching of seekers and jobs. Pure computation, no I/O.

A pair's score is the weighted sum of components, each a value in [0, 1]:

  occupation  0.30  desired occupation 1.0, substitutable 0.8, related 0.5, else 0
  skills      0.20  share of the required skills held (0.8) and of the optional ones (0.2)
  commute     0.15  1.0 within 0.5 km of home, falling to 0 at the seeker's maximum commute
  hours       0.15  share of the job's shifts the seeker can work
  pay         0.10  1.0 if the lowest pay meets the expectation, 0.8 if the range reaches it, falling
                    to 0 as the highest pay drops to half the expectation
  experience  0.10  years in the occupation (half for substitutable/related ones) against the years asked
  age_friendly 0.05 older workers only: the employer marked the job age-friendly

Hard constraints make a pair ineligible whatever its score (it is never suggested): the job is not
open, the commute is longer than the seeker's maximum, the kind of hours (full/part time) or the
shifts do not fit, the weekly hours exceed what the seeker offers, the education asked is higher,
the seeker needs an accessible workplace and the job is not, or the job makes a physical demand
the seeker said they cannot meet (older workers' physical limits).

`explain` is the straightforward per-pair computation; it returns the components as reasons (their
contributions add up to the score) and is the baseline of the benchmark. `JobIndex` computes the
same numbers for many pairs at once with numpy; `stable_match` runs a job-fair round.

Numbers come from stored documents, which may predate today's payload bounds (see LIMITS): the
feature builders refuse what cannot be scored (raising Unscorable, so callers skip that one
document and go on with the others), and every division is guarded so that a tiny but positive
number yields a finite score rather than an error or NaN.

Modules: `features.py` (bounds, weights, the features of seekers and jobs, `Unscorable`),
`explanation.py` (`explain`, `Match`, `Reason`), `index.py` (`JobIndex`, `rank_seekers`), `rounds.py`
(`stable_match` for job fairs). What the service and its tests use is listed here.
"""

from .explanation import Match, Reason, explain
from .features import (
    EDUCATION,
    LIMITS,
    NEAR_KM,
    OCCUPATION_FIT,
    SHIFTS,
    WEEKS_PER_MONTH,
    WEIGHTS,
    JobFeatures,
    SeekerFeatures,
    Unscorable,
    job_features,
    seeker_features,
)
from .index import JobIndex, rank_seekers
from .rounds import blocking_pairs, first_lists, stable_match

__all__ = [
    "EDUCATION",
    "LIMITS",
    "NEAR_KM",
    "OCCUPATION_FIT",
    "SHIFTS",
    "WEEKS_PER_MONTH",
    "WEIGHTS",
    "JobFeatures",
    "JobIndex",
    "Match",
    "Reason",
    "SeekerFeatures",
    "Unscorable",
    "blocking_pairs",
    "explain",
    "first_lists",
    "job_features",
    "rank_seekers",
    "seeker_features",
    "stable_match",
]
