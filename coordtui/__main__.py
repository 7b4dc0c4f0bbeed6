from coordtui.cli import main

raise SystemExit(main())
