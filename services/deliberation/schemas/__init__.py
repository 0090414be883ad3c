"""HTTP payload models of the deliberation API: they validate input and describe the OpenAPI document.

One module per part of the API (see each module's docstring); this package re-exports their models:
views read `schemas.TopicOut`.
"""

from .past_matters import (
    PastClaimIn,
    PastClosingIn,
    PastDeputyIn,
    PastMatterIn,
    PastMattersIn,
    PastMattersOut,
    PastMeetingIn,
    PastNoticeIn,
    PastResultIn,
    PastReviewIn,
    PastTaskIn,
    PastVoteIn,
)
from .public import (
    PublicMeetingOut,
    PublicNoticeList,
    PublicNoticeOut,
    PublicResultList,
    PublicResultOut,
    PublicStepOut,
    PublicTaskOut,
    PublicTopicOut,
)
from .registries import PersonList, PersonOut, VenueList, VenueOut
from .roll import VoterEntryOut, VoterEventOut, VoterRemovalIn, VoterRollOut, VotersIn, VotersQuery
from .statistics import (
    EvaluationSummary,
    EvaluationSummaryQuery,
    PersonSummary,
    StationSummary,
    Statistics,
    StatisticsQuery,
)
from .steps import (
    ClaimIn,
    ClaimOut,
    CloseIn,
    DecisionIn,
    DeputyIn,
    DeputyOut,
    EvaluationIn,
    EvaluationOut,
    FeedbackIn,
    FeedbackOut,
    MeetingHeldIn,
    MeetingIn,
    MeetingOut,
    NoticeIn,
    NoticeOut,
    OpenFeedbackIn,
    ProgressIn,
    ReasonIn,
    ReviewIn,
    ReviewOut,
    StartConsultationIn,
    TaskIn,
    TaskOut,
)
from .topics import (
    AbsorbingStoppedOut,
    AttachIn,
    CreateTopicIn,
    ImportedOut,
    LinkedRequestOut,
    ListQuery,
    ReviewMark,
    StepOut,
    TopicOut,
    TopicPage,
    UpdateTopicIn,
)
from .votes import BallotIn, BallotOut, OptionCountOut, PaperVoteIn, VoteIn, VoteOut
