{#- Sex-specific plausibility: pregnancy and childbirth (O00-O99) and female genital cancers
    (C51-C58) only for women, male genital cancers and prostate disease (C60-C63, N40-N42) only for
    men. A resident whose sex is unknown or unstated (0, 9) is not judged. -#}
{% test sex_specific_diagnoses(model) %}

    select diagnoses.*
    from {{ model }} as diagnoses
    inner join {{ ref('stg_silver__residents') }} as residents
        on diagnoses.resident_key = residents.resident_key
    where
        (
            residents.sex_code = '1'
            and (
                diagnoses.icd10_category like 'O%'
                or diagnoses.icd10_category between 'C51' and 'C58'
            )
        )
        or (
            residents.sex_code = '2'
            and (
                diagnoses.icd10_category between 'C60' and 'C63'
                or diagnoses.icd10_category between 'N40' and 'N42'
            )
        )

{% endtest %}
