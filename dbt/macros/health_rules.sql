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

{#- Whole years of age on a date. -#}
{% macro age_years(birth_date, on_date) -%}
    cast(floor(months_between({{ on_date }}, {{ birth_date }}) / 12) as int)
{%- endmacro %}

{#- 国家基本公共卫生服务规范 (3rd ed.): hypertension controlled below 140/90; residents at or over
    `hypertension_elderly_age` below `hypertension_elderly_target_sbp`/90 (UNCONFIRMED: a setting). -#}
{% macro hypertension_controlled(sbp, dbp, age) -%}
    case
        when {{ sbp }} is null or {{ dbp }} is null then null
        when {{ age }} >= {{ var('hypertension_elderly_age') }}
            then {{ sbp }} < {{ var('hypertension_elderly_target_sbp') }} and {{ dbp }} < {{ var('hypertension_target_dbp') }}
        else {{ sbp }} < {{ var('hypertension_target_sbp') }} and {{ dbp }} < {{ var('hypertension_target_dbp') }}
    end
{%- endmacro %}

{#- Type 2 diabetes controlled when fasting glucose is below 7.0 mmol/L. -#}
{% macro diabetes_controlled(fpg) -%}
    case when {{ fpg }} is null then null else {{ fpg }} < {{ var('diabetes_target_fpg') }} end
{%- endmacro %}

{#- Urgent referral at a follow-up: SBP >= 180 and/or DBP >= 110; for diabetes also glucose >= 16.7 or <= 3.9. -#}
{% macro needs_urgent_referral(condition, sbp, dbp, fpg) -%}
    (
        coalesce({{ sbp }} >= 180 or {{ dbp }} >= 110, false)
        or ({{ condition }} = 'diabetes' and coalesce({{ fpg }} >= 16.7 or {{ fpg }} <= 3.9, false))
    )
{%- endmacro %}

{#- Home (self-measured) blood pressure: >= 180/110 urgent, >= 135/85 elevated. -#}
{% macro home_bp_level(sbp, dbp) -%}
    case
        when {{ sbp }} is null or {{ dbp }} is null then null
        when {{ sbp }} >= 180 or {{ dbp }} >= 110 then 'urgent'
        when {{ sbp }} >= 135 or {{ dbp }} >= 85 then 'elevated'
        else 'normal'
    end
{%- endmacro %}

{#- One follow-up a calendar quarter: after a visit, the next is due by the end of the following quarter. -#}
{% macro quarterly_due_date(visit_date) -%}
    last_day(add_months(trunc({{ visit_date }}, 'quarter'), 5))
{%- endmacro %}

{#- Aggregate counts under 5 are suppressed (null) in analyst-facing marts. -#}
{% macro suppress_small(count_expression) -%}
    case when {{ count_expression }} >= 5 then {{ count_expression }} end
{%- endmacro %}
