{% test in_vocabulary(model, column_name, vocabulary, flag=none) %}
{#
  Values of `column_name` that are no code of seed vocab_<vocabulary> (with `flag`, of its
  codes whose column `flag` is true): the seed is the vocabulary's one home.
#}
select {{ column_name }}, count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select vocabulary.code from {{ ref('vocab_' ~ vocabulary) }} as vocabulary
        {% if flag %}where vocabulary.{{ flag }}{% endif %}
    )
group by {{ column_name }}
{% endtest %}
