"""SBOM validation: rules as code, profiles as data (policies/*.yaml), findings out."""
