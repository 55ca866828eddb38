"""What users write: frozen, validated pydantic models; ``load`` reads them from YAML."""
