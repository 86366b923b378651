{#- 个人健康画像: one row per resident of the resident index, as of the as-of date. What drives
    assess → plan → act → feedback: key-population tags, chronic conditions, the latest vital signs
    and labs with their dates, lifestyle, use of care in the last 12 months, last contact per
    setting, open alerts and an overall risk level with its reasons. Pseudonymous; age as a band. -#}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

residents as (

    select
        residents.*,
        {{ age_years('residents.birth_date', 'as_of.as_of_date') }} as age,
        as_of.as_of_date
    from {{ ref('stg_silver__residents') }} as residents
    cross join as_of

),

conditions as (

    select
        resident_key,
        max(condition = 'hypertension') as has_hypertension,
        max(condition = 'diabetes') as has_diabetes,
        max(condition = 'severe_mental_disorder') as has_severe_mental_disorder,
        max(condition = 'tuberculosis') as has_tuberculosis,
        sort_array(collect_list(named_struct(
            'condition', condition, 'first_recorded_on', first_recorded_on, 'source', first_source
        ))) as chronic_conditions
    from {{ ref('int_resident_conditions') }}
    group by resident_key

),

pregnancy as (

    -- A pregnancy-related diagnosis (O00-O99, Z33-Z35) in the last 280 days.
    select distinct diagnoses.resident_key
    from {{ ref('stg_silver__diagnoses') }} as diagnoses
    inner join {{ ref('condition_icd10_ranges') }} as ranges
        on
            diagnoses.icd10_category between ranges.code_from and ranges.code_to
            and ranges.condition = 'pregnancy'
    cross join as_of
    where diagnoses.diagnosed_on between date_sub(as_of.as_of_date, 280) and as_of.as_of_date

),

vitals as (

    select * from {{ ref('int_resident_vitals') }}

),

tcm as (

    select
        assessments.resident_key,
        max_by(assessments.primary_constitution_code, assessments.assessment_date) as tcm_constitution_code,
        max(assessments.assessment_date) as last_tcm_assessment_on
    from {{ ref('stg_silver__tcm_assessments') }} as assessments
    cross join as_of
    where assessments.assessment_date <= as_of.as_of_date
    group by assessments.resident_key

),

followups as (

    select
        followups.resident_key,
        max(followups.followup_date) as last_followup_on,
        max_by(
            named_struct(
                'cigarettes_per_day', followups.cigarettes_per_day,
                'alcohol_ml_per_day', followups.alcohol_ml_per_day,
                'exercise_per_week', followups.exercise_per_week
            ),
            named_struct('on', followups.followup_date, 'key', followups.followup_key)
        ) as lifestyle
    from {{ ref('stg_silver__chronic_followups') }} as followups
    cross join as_of
    where followups.followup_date <= as_of.as_of_date
    group by followups.resident_key

),

care as (

    select
        encounters.resident_key,
        sum(case
            when
                encounters.encounter_type = 'outpatient'
                and encounters.encounter_date > add_months(as_of.as_of_date, -12) then 1
            else 0
        end) as outpatient_visits_12m,
        sum(case
            when
                encounters.encounter_type = 'inpatient'
                and encounters.encounter_date > add_months(as_of.as_of_date, -12) then 1
            else 0
        end) as admissions_12m,
        sum(case
            when
                encounters.encounter_type = 'inpatient'
                and encounters.encounter_date > add_months(as_of.as_of_date, -12)
                then coalesce(encounters.length_of_stay_days, 0)
            else 0
        end) as inpatient_days_12m,
        max(case when encounters.encounter_type = 'exam' then encounters.encounter_date end) as last_exam_on,
        max(case when encounters.encounter_type = 'outpatient' then encounters.encounter_date end)
            as last_outpatient_on,
        max(case when encounters.encounter_type = 'inpatient' then encounters.encounter_date end)
            as last_inpatient_on
    from {{ ref('stg_silver__encounters') }} as encounters
    cross join as_of
    where encounters.encounter_date <= as_of.as_of_date
    group by encounters.resident_key

),

home_bp as (

    select
        resident_key,
        alert_status as home_bp_alert_status,
        latest_reading_at
    from {{ ref('home_bp_alerts') }}

),

chronic as (

    select
        management.resident_key,
        max(case when management.condition = 'hypertension' then management.control_status end)
            as hypertension_control_status,
        max(case when management.condition = 'diabetes' then management.control_status end)
            as diabetes_control_status
    from {{ ref('chronic_disease_management') }} as management
    cross join as_of
    where management.year = year(as_of.as_of_date)
    group by management.resident_key

),

tasks as (

    select
        resident_key,
        max(task_status = 'overdue') as has_overdue_followup
    from {{ ref('followup_tasks') }}
    group by resident_key

),

joined as (

    select
        residents.resident_key,
        residents.as_of_date,
        residents.sex_code,
        residents.age,
        residents.district_code,
        vitals.sbp_mmhg,
        vitals.dbp_mmhg,
        vitals.bp_measured_on,
        vitals.bp_setting,
        vitals.bmi,
        vitals.bmi_measured_on,
        vitals.waist_cm,
        vitals.waist_measured_on,
        vitals.fpg_mmol_l,
        vitals.fpg_measured_on,
        vitals.hba1c_pct,
        vitals.hba1c_measured_on,
        vitals.tc_mmol_l,
        vitals.tg_mmol_l,
        vitals.ldl_mmol_l,
        vitals.hdl_mmol_l,
        vitals.lipids_measured_on,
        vitals.creatinine_umol_l,
        vitals.creatinine_measured_on,
        vitals.bp_grade,
        vitals.is_isolated_systolic,
        vitals.bmi_category,
        tcm.tcm_constitution_code,
        tcm.last_tcm_assessment_on,
        followups.lifestyle,
        followups.last_followup_on,
        care.last_exam_on,
        care.last_outpatient_on,
        care.last_inpatient_on,
        cast(home_bp.latest_reading_at as date) as last_home_bp_on,
        home_bp.home_bp_alert_status,
        chronic.hypertension_control_status,
        chronic.diabetes_control_status,
        coalesce(conditions.has_hypertension, false) as has_hypertension,
        coalesce(conditions.has_diabetes, false) as has_diabetes,
        coalesce(conditions.has_severe_mental_disorder, false) as has_severe_mental_disorder,
        coalesce(conditions.has_tuberculosis, false) as has_tuberculosis,
        pregnancy.resident_key is not null as is_pregnant,
        coalesce(conditions.chronic_conditions, array()) as chronic_conditions,
        coalesce(care.outpatient_visits_12m, 0) as outpatient_visits_12m,
        coalesce(care.admissions_12m, 0) as admissions_12m,
        coalesce(care.inpatient_days_12m, 0) as inpatient_days_12m,
        coalesce(tasks.has_overdue_followup, false) as has_overdue_followup
    from residents
    left join conditions on residents.resident_key = conditions.resident_key
    left join pregnancy on residents.resident_key = pregnancy.resident_key
    left join vitals on residents.resident_key = vitals.resident_key
    left join tcm on residents.resident_key = tcm.resident_key
    left join followups on residents.resident_key = followups.resident_key
    left join care on residents.resident_key = care.resident_key
    left join home_bp on residents.resident_key = home_bp.resident_key
    left join chronic on residents.resident_key = chronic.resident_key
    left join tasks on residents.resident_key = tasks.resident_key

),

judged as (

    select
        *,
        filter(array(
            case when bp_grade = '3级' then 'BP grade 3 (>= 180/110)' end,
            case when home_bp_alert_status = 'urgent' then 'home BP at or above 180/110 this week' end,
            case when fpg_mmol_l >= 16.7 or fpg_mmol_l <= 3.9 then 'fasting glucose >= 16.7 or <= 3.9 mmol/L' end
        ), reason -> reason is not null) as high_risk_reasons,
        filter(array(
            case when bp_grade in ('1级', '2级') then 'BP grade 1 or 2' end,
            case when hypertension_control_status = 'uncontrolled' then 'hypertension not controlled' end,
            case when diabetes_control_status = 'uncontrolled' then 'diabetes not controlled' end,
            case when home_bp_alert_status = 'elevated' then 'home BP mean at or above 135/85' end,
            case when fpg_mmol_l >= 7.0 and not has_diabetes then 'fasting glucose >= 7.0 with no diabetes record' end,
            case when bmi >= 28.0 then 'BMI >= 28 (obese)' end,
            case when has_overdue_followup then 'follow-up overdue' end
        ), reason -> reason is not null) as medium_risk_reasons
    from joined

),

final as (

    select
        judged.resident_key,
        judged.as_of_date,
        judged.sex_code,
        {{ age_band('age') }} as age_band,
        judged.district_code,
        filter(array(
            case when judged.age >= 65 then 'aged_65_plus' end,
            case when judged.age <= 6 then 'child_0_6' end,
            case when judged.is_pregnant then 'pregnant' end,
            case when judged.has_hypertension then 'hypertension' end,
            case when judged.has_diabetes then 'diabetes' end,
            case when judged.has_severe_mental_disorder then 'severe_mental_disorder' end,
            case when judged.has_tuberculosis then 'tuberculosis' end
        ), tag -> tag is not null) as key_population_tags,
        judged.age >= 65 as is_aged_65_plus,
        judged.age <= 6 as is_child_0_6,
        judged.is_pregnant,
        judged.has_hypertension,
        judged.has_diabetes,
        judged.has_severe_mental_disorder,
        judged.has_tuberculosis,
        judged.chronic_conditions,
        judged.sbp_mmhg,
        judged.dbp_mmhg,
        judged.bp_measured_on,
        judged.bp_setting,
        judged.bp_grade,
        judged.is_isolated_systolic,
        judged.bmi,
        judged.bmi_category,
        judged.bmi_measured_on,
        judged.waist_cm,
        judged.waist_measured_on,
        judged.fpg_mmol_l,
        judged.fpg_measured_on,
        judged.hba1c_pct,
        judged.hba1c_measured_on,
        judged.tc_mmol_l,
        judged.tg_mmol_l,
        judged.ldl_mmol_l,
        judged.hdl_mmol_l,
        judged.lipids_measured_on,
        judged.creatinine_umol_l,
        judged.creatinine_measured_on,
        judged.tcm_constitution_code,
        lifestyle.cigarettes_per_day > 0 as is_smoker,
        lifestyle.cigarettes_per_day,
        lifestyle.alcohol_ml_per_day,
        lifestyle.exercise_per_week,
        judged.outpatient_visits_12m,
        judged.admissions_12m,
        judged.inpatient_days_12m,
        judged.last_exam_on,
        judged.last_outpatient_on,
        judged.last_inpatient_on,
        judged.last_followup_on,
        judged.last_tcm_assessment_on,
        judged.last_home_bp_on,
        judged.home_bp_alert_status,
        judged.hypertension_control_status,
        judged.diabetes_control_status,
        judged.has_overdue_followup,
        case
            when size(judged.high_risk_reasons) > 0 then 'high'
            when size(judged.medium_risk_reasons) > 0 then 'medium'
            else 'low'
        end as risk_level,
        concat(judged.high_risk_reasons, judged.medium_risk_reasons) as risk_reasons,
        greatest(
            judged.last_exam_on, judged.last_outpatient_on, judged.last_inpatient_on, judged.last_followup_on, judged.last_tcm_assessment_on,
            judged.last_home_bp_on
        ) as latest_record_on,
        current_timestamp() as built_at
    from judged

)

select * from final
