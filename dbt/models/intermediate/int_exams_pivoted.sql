{#- One row per exam with each measured data element as a column. -#}
{%- set elements = [
    'height_cm', 'weight_kg', 'waist_cm', 'sbp_mmhg', 'dbp_mmhg', 'pulse_per_min', 'fpg_mmol_l',
    'tc_mmol_l', 'tg_mmol_l', 'ldl_mmol_l', 'hdl_mmol_l', 'creatinine_umol_l'
] -%}

with

observations as (

    select * from {{ ref('stg_silver__exam_observations') }}

),

pivoted as (

    select
        exam_key,
        resident_key,
        max(exam_date) as exam_date,
        max(sex_code) as sex_code,
        max(age_at_exam) as age_at_exam,
        max(institution_code) as institution_code,
        {%- for element in elements %}
        max(case when element = '{{ element }}' then value end) as {{ element }}{{ "," if not loop.last }}
        {%- endfor %}
    from observations
    group by exam_key, resident_key

)

select * from pivoted
