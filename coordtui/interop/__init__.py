"""Exchange formats for other systems (FHIR R4 export)."""
