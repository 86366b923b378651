{#- Classification rules from ../shared/reference/STANDARDS.md §6, one place for every model. -#}

{#- Chinese hypertension guideline 2018: the higher of the SBP and DBP grades applies. -#}
{% macro bp_grade(sbp, dbp) -%}
    case
        when {{ sbp }} is null or {{ dbp }} is null then null
        when {{ sbp }} >= 180 or {{ dbp }} >= 110 then '3级'
        when {{ sbp }} >= 160 or {{ dbp }} >= 100 then '2级'
        when {{ sbp }} >= 140 or {{ dbp }} >= 90 then '1级'
        when {{ sbp }} >= 120 or {{ dbp }} >= 80 then '正常高值'
        else '正常'
    end
{%- endmacro %}

{#- 单纯收缩期高血压: SBP >= 140 with DBP < 90. -#}
{% macro is_isolated_systolic(sbp, dbp) -%}
    coalesce({{ sbp }} >= 140 and {{ dbp }} < 90, false)
{%- endmacro %}

{#- WS/T 428-2013 adult BMI categories. -#}
{% macro bmi_category(bmi) -%}
    case
        when {{ bmi }} is null then null
        when {{ bmi }} < 18.5 then '体重过低'
        when {{ bmi }} < 24.0 then '正常'
        when {{ bmi }} < 28.0 then '超重'
        else '肥胖'
    end
{%- endmacro %}

{#- Ten-year bands from 18, open-ended at 80; analyst marts show bands, never exact ages. -#}
{% macro age_band(age) -%}
    case
        when {{ age }} is null then null
        when {{ age }} < 18 then '0-17'
        when {{ age }} >= 80 then '80+'
        when {{ age }} < 20 then '18-19'
        else concat(cast(floor({{ age }} / 10) * 10 as string), '-', cast(floor({{ age }} / 10) * 10 + 9 as string))
    end
{%- endmacro %}
