{#- Seeds are replaced in place. dbt-spark drops a seed and creates it again, but the shared catalog
    registers existing Delta directories as external tables (healthlake/catalog.py): the drop leaves
    the files and the create then refuses the non-empty location. CREATE OR REPLACE keeps one
    Delta table with a new version instead. -#}
{% macro spark__reset_csv_table(model, full_refresh, old_relation, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {% set sql %}
        create or replace table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = column_override.get(col_name, inferred_type) -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }}
                {%- if not loop.last -%}, {%- endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
    {% endset %}
    {% call statement('_') -%}
        {{ sql }}
    {%- endcall %}
    {{ return(sql) }}
{% endmacro %}
