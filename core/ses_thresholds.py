"""SES's sending-health lines, shared by the analytics and the rolling event rates.

SES puts an account under review at a 5% bounce rate or a 0.1% complaint rate (and
pauses sending at 10% / 0.5%); AWS advises staying under 2% bounces. We warn from 2%
bounces or 0.05% complaints and call the review thresholds critical.
"""

from __future__ import annotations

import re
from enum import StrEnum

BOUNCE_REVIEW = 0.05
BOUNCE_WARN = 0.02
COMPLAINT_REVIEW = 0.001
COMPLAINT_WARN = 0.0005


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    CRITICAL = "critical"


# Messages to the SES mailbox simulator do not count in SES's own rates, nor in ours.
SIMULATOR_ONLY = re.compile(r"@simulator\.amazonses\.com$", re.IGNORECASE)

LEVEL_RANK = {Level.OK: 0, Level.WARN: 1, Level.CRITICAL: 2}


def level_of(rate: float, warn: float, critical: float) -> Level:
    if rate >= critical:
        return Level.CRITICAL
    if rate >= warn:
        return Level.WARN
    return Level.OK


def bounce_level(rate: float) -> Level:
    return level_of(rate, BOUNCE_WARN, BOUNCE_REVIEW)


def complaint_level(rate: float) -> Level:
    return level_of(rate, COMPLAINT_WARN, COMPLAINT_REVIEW)
