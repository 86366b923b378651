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

resident_cells as (

    select
        district_code,
        age_band,
        sex_code,
        count(*) as residents
    from residents
    group by district_code, age_band, sex_code

),

case_cells as (

    -- Cases are counted per cell and joined to the cells after: pairing every resident with every
    -- condition first shuffled 5.4M rows at 1M residents for 1,449 output rows.
    select
        residents.district_code,
        residents.age_band,
        residents.sex_code,
        cases.condition,
        count(*) as cases
    from {{ ref('int_resident_conditions') }} as cases
    inner join residents on cases.resident_key = residents.resident_key
    left semi join conditions on cases.condition = conditions.condition
    group by residents.district_code, residents.age_band, residents.sex_code, cases.condition

),

cells as (

    select
        resident_cells.district_code,
        resident_cells.age_band,
        resident_cells.sex_code,
        conditions.condition,
        resident_cells.residents,
        coalesce(case_cells.cases, 0) as cases
    from resident_cells
    cross join conditions
    left join case_cells
        on
            resident_cells.district_code <=> case_cells.district_code
            and resident_cells.age_band <=> case_cells.age_band
            and resident_cells.sex_code <=> case_cells.sex_code
            and conditions.condition = case_cells.condition

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
