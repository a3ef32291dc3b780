/* A shared object without the nw_plugin_entry symbol: not a plugin. */
int nwtest_not_a_plugin(void);
int nwtest_not_a_plugin(void)
{
    return 42;
}
