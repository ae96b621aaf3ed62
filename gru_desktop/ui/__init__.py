"""The Qt desktop app: thin views over the core, the runs job and storage (design §2, §3, §7)."""
