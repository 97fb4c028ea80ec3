import rules

from civic.rules import is_member_of_organisation, is_site_admin, runs_department_item

rules.add_perm("scoped_feature", is_site_admin | is_member_of_organisation)
rules.add_perm("scoped_feature.view_notice", runs_department_item)
rules.add_perm("scoped_feature.add_notice", runs_department_item)
rules.add_perm("scoped_feature.change_notice", runs_department_item)
rules.add_perm("scoped_feature.delete_notice", runs_department_item)
