{#- Post-hook of an incremental mart: delete the rows whose key is no longer in `source_relation`
    (silver deletes cancelled records; a MERGE of new rows alone would keep them forever).
    The keys to delete are found first, by an anti-join of the two tables' keys alone: a MERGE
    `when not matched by source` joined every row of the mart instead (1M residents, nothing to
    delete: gold.encounters 16.7-34.9 s against 6.1-7.5 s, gold.diagnoses 11.4-19.9 s against 4.1-4.6 s). -#}
{% macro remove_deleted(key, source_relation) -%}
    merge into {{ this }} as target
    using (
        select published.{{ key }}
        from {{ this }} as published
        left anti join {{ source_relation }} as kept on published.{{ key }} = kept.{{ key }}
    ) as source
    on target.{{ key }} = source.{{ key }}
    when matched then delete
{%- endmacro %}
