"""The people a job seeker meets: recruiters, hiring managers, referrers."""
