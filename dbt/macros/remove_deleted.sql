{#- Post-hook of an incremental mart: delete the rows whose key is no longer in `source_relation`
    (silver deletes cancelled records; a MERGE of new rows alone would keep them forever). -#}
{% macro remove_deleted(key, source_relation) -%}
    merge into {{ this }} as target
    using (select {{ key }} from {{ source_relation }}) as source
    on target.{{ key }} = source.{{ key }}
    when not matched by source then delete
{%- endmacro %}
