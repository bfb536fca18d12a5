"""Profiles: Parquet files (schema v2, SCHEMA.md) holding cells, time series and findings."""

from nvmeprobe.profile.findings import findings_to_frame, frame_to_findings
from nvmeprobe.profile.paths import latest_profile, profile_path, slug
from nvmeprobe.profile.schema import SCHEMA, SCHEMA_VERSION
from nvmeprobe.profile.store import Profile, ProfileWriteError, read_profile, write_profile

__all__ = [
    "findings_to_frame",
    "frame_to_findings",
    "latest_profile",
    "profile_path",
    "slug",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Profile",
    "ProfileWriteError",
    "read_profile",
    "write_profile",
]
