"""Employment matching: seekers, local jobs, explainable matching, referrals and placement follow-up."""
