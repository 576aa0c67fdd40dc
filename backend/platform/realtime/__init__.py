"""Realtime: one websocket per tab, a personal channel per user fanned out through Redis,
per-user ordered event ids and a capped history for replay on reconnect."""
