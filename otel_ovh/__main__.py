from otel_ovh.cli import main

raise SystemExit(main())
