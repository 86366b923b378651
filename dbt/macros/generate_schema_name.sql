{#- The layer is a schema: models land in exactly the schema their folder names (gold, staging). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
