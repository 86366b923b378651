{#- The personal health profile (个人健康画像): one row per resident, from their latest exam. -#}

with

exams as (

    select * from {{ ref('int_exams_pivoted') }}

),

ranked_exams as (

    select
        *,
        row_number() over (
            partition by resident_key order by exam_date desc, exam_key desc
        ) as recency
    from exams

),

latest_exam as (

    select * from ranked_exams
    where recency = 1

),

exam_counts as (

    select
        resident_key,
        count(*) as exams_total
    from exams
    group by resident_key

),

measures as (

    select
        latest_exam.*,
        round(latest_exam.weight_kg / ((latest_exam.height_cm / 100) * (latest_exam.height_cm / 100)), 1) as bmi
    from latest_exam

),

final as (

    select
        measures.resident_key,
        measures.sex_code,
        {{ age_band('measures.age_at_exam') }} as age_band,
        measures.exam_date as latest_exam_date,
        exam_counts.exams_total,
        measures.sbp_mmhg,
        measures.dbp_mmhg,
        {{ bp_grade('measures.sbp_mmhg', 'measures.dbp_mmhg') }} as bp_grade,
        {{ is_isolated_systolic('measures.sbp_mmhg', 'measures.dbp_mmhg') }} as is_isolated_systolic,
        measures.height_cm,
        measures.weight_kg,
        measures.bmi,
        {{ bmi_category('measures.bmi') }} as bmi_category,
        measures.waist_cm,
        measures.fpg_mmol_l,
        measures.tc_mmol_l,
        measures.tg_mmol_l,
        measures.ldl_mmol_l,
        measures.hdl_mmol_l,
        measures.creatinine_umol_l,
        current_timestamp() as built_at
    from measures
    inner join exam_counts on measures.resident_key = exam_counts.resident_key

)

select * from final
