{#- One row per exam with each measured data element (schemas/data_elements.yaml) as a column. -#}

with

observations as (

    select * from {{ ref('stg_silver__observations') }}

),

residents as (

    select * from {{ ref('stg_silver__residents') }}

),

pivoted as (

    select
        observations.exam_key,
        observations.resident_key,
        max(observations.exam_date) as exam_date,
        max(residents.sex_code) as sex_code,
        max(residents.birth_date) as birth_date,
        max(observations.institution_code) as institution_code,
        max(case when observations.element = 'height_cm' then observations.value end) as height_cm,
        max(case when observations.element = 'weight_kg' then observations.value end) as weight_kg,
        max(case when observations.element = 'waist_cm' then observations.value end) as waist_cm,
        max(case when observations.element = 'sbp_mmhg' then observations.value end) as sbp_mmhg,
        max(case when observations.element = 'dbp_mmhg' then observations.value end) as dbp_mmhg,
        max(case when observations.element = 'pulse_per_min' then observations.value end) as pulse_per_min,
        max(case when observations.element = 'fpg_mmol_l' then observations.value end) as fpg_mmol_l,
        max(case when observations.element = 'tc_mmol_l' then observations.value end) as tc_mmol_l,
        max(case when observations.element = 'tg_mmol_l' then observations.value end) as tg_mmol_l,
        max(case when observations.element = 'ldl_mmol_l' then observations.value end) as ldl_mmol_l,
        max(case when observations.element = 'hdl_mmol_l' then observations.value end) as hdl_mmol_l,
        max(case when observations.element = 'creatinine_umol_l' then observations.value end) as creatinine_umol_l
    from observations
    left join residents on observations.resident_key = residents.resident_key
    group by observations.exam_key, observations.resident_key

),

with_age as (

    select
        *,
        cast(floor(months_between(exam_date, birth_date) / 12) as int) as age_at_exam
    from pivoted

)

select * from with_age
