"""Pure pricing: action counts × energy table, leakage × time, area. Never simulates."""
