{#- Prevalence of each tracked chronic condition by district, age band and sex, among the residents the
    network knows, as of the as-of date. Counts under 5 (cases, or the residents of a cell) are
    suppressed: the count and the prevalence are null and `is_suppressed` says why. -#}

with

as_of as (

    select * from {{ ref('int_as_of_date') }}

),

residents as (

    select
        residents.resident_key,
        residents.district_code,
        residents.sex_code,
        {{ age_band(age_years('residents.birth_date', 'as_of.as_of_date')) }} as age_band
    from {{ ref('stg_silver__residents') }} as residents
    cross join as_of

),

conditions as (

    select distinct condition
    from {{ ref('condition_icd10_ranges') }}
    where condition != 'pregnancy'

),

cells as (

    select
        residents.district_code,
        residents.age_band,
        residents.sex_code,
        conditions.condition,
        count(*) as residents,
        count(cases.resident_key) as cases
    from residents
    cross join conditions
    left join {{ ref('int_resident_conditions') }} as cases
        on
            residents.resident_key = cases.resident_key
            and conditions.condition = cases.condition
    group by residents.district_code, residents.age_band, residents.sex_code, conditions.condition

),

final as (

    select
        district_code,
        age_band,
        sex_code,
        condition,
        {{ suppress_small('residents') }} as residents,
        case when residents >= 5 then {{ suppress_small('cases') }} end as cases,
        case when residents >= 5 and cases >= 5 then round(100 * cases / residents, 2) end as prevalence_pct,
        residents < 5 or cases < 5 as is_suppressed
    from cells

)

select * from final
