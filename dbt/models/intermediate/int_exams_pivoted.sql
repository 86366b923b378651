{#- One row per exam with each measured data element (schemas/data_elements.yaml) as a column. -#}

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
        max(case when element = 'height_cm' then value end) as height_cm,
        max(case when element = 'weight_kg' then value end) as weight_kg,
        max(case when element = 'waist_cm' then value end) as waist_cm,
        max(case when element = 'sbp_mmhg' then value end) as sbp_mmhg,
        max(case when element = 'dbp_mmhg' then value end) as dbp_mmhg,
        max(case when element = 'pulse_per_min' then value end) as pulse_per_min,
        max(case when element = 'fpg_mmol_l' then value end) as fpg_mmol_l,
        max(case when element = 'tc_mmol_l' then value end) as tc_mmol_l,
        max(case when element = 'tg_mmol_l' then value end) as tg_mmol_l,
        max(case when element = 'ldl_mmol_l' then value end) as ldl_mmol_l,
        max(case when element = 'hdl_mmol_l' then value end) as hdl_mmol_l,
        max(case when element = 'creatinine_umol_l' then value end) as creatinine_umol_l
    from observations
    group by exam_key, resident_key

)

select * from pivoted
