"""Real time: the notification hub that fans stored notifications out to open WebSockets."""
