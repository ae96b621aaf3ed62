#!/usr/bin/env python3
from gru_desktop.cli import main

raise SystemExit(main())
