#!/usr/bin/perl
# Array claims and $ticket_roles as text: elements joined by "," with
# "," and "\" inside an element escaped as "\," and "\\", so that a role
# "reader,admin" never reaches a backend as the two roles reader and
# admin, in a forwarded header or a variable.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 9);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF2');
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
            ticket any;
            ticket_set_header X-Roles roles;
            ticket_set_header X-Groups groups;
            proxy_set_header X-Roles-Var $ticket_roles;
            proxy_set_header X-Groups-Var $ticket_claim_groups;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "roles=$http_x_roles\ngroups=$http_x_groups\nrolesvar=$http_x_roles_var\ngroupsvar=$http_x_groups_var\n";
        }
    }
EOF2

sub body_of {
    my ($tk) = @_;
    my $r = $t->get('/x', ticket => $tk);
    is($r->{status}, 200, 'allowed');
    my %v = $r->{body} =~ /^(\w+)=(.*)$/mg;
    return \%v;
}

my $tk = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                  kind => 'user',
                  claim => ['roles=["reader,admin","a\\\\b","x"]',
                            'groups=["g1,g2","\\\\,"]']);

my $v = body_of($tk);
is($v->{roles}, 'reader\,admin,a\\\\b,x', 'forwarded roles: escaped');
is($v->{rolesvar}, 'reader\,admin,a\\\\b,x', '$ticket_roles: escaped');
is($v->{groups}, 'g1\,g2,\\\\\,', 'forwarded array claim: escaped');
is($v->{groupsvar}, 'g1\,g2,\\\\\,', '$ticket_claim_groups: escaped');

# plain elements read as before

$tk = $t->mint(key => $k->{key}, kid => 'k1', sub => 'bob', kind => 'user',
               roles => 'reader,writer');
$v = body_of($tk);
is($v->{roles}, 'reader,writer', 'plain roles: unchanged');
is($v->{rolesvar}, 'reader,writer', 'plain $ticket_roles: unchanged');

$t->done;
