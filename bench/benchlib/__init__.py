# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for bench/run: zone and query generation, the servers under test,
/proc readings, dnsperf, and the report. Standard library only; runs under
/usr/bin/python3."""
